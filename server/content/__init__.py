"""Content: what a school can teach from.

Owns: content packs (build, verify, install, render: `packs/`), Kolibri channels and H5P files turned into
packs (`kolibri/`, `h5p/`), quiz formats and grading (`quiz/`), the
content-addressed blob store (`blobs`), reading installed content for pages (`library`), and full-text search
(`search`, the only module that imports Whoosh), and the content generation every worker's caches check
(`generation`).
May import: the core (config, db, errors, ids, i18n, identity, storage, models). Nothing about learners.
"""
