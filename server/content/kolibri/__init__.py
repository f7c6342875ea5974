"""Kolibri channels on a drive → Lantern packs.

    drive       finding channels in Kolibri's export layout (content/databases, content/storage), and
                copying storage files with their MD5 checked
    channel_db  reading a channel's SQLite database, content schema versions 1-5 (and the older unversioned one)
    perseus     Perseus exercise items → native practice items (skipped widgets counted)
    tex         TeX → MathML on the server
    nodes       one content node → a lesson (Markdown page, media, document, app) or practice items
    convert     the whole channel → a pack folder, then the ordinary verify → prepare → install pipeline

Part of `server.content`: imports only the core and `server.content.packs`.
"""
