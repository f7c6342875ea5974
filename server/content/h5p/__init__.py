"""H5P packages (.h5p) → Lantern packs.

    package    reading one .h5p safely: the archive (path tricks, bombs), h5p.json, content.json, every
               library's library.json, language files and preloaded files; script-bearing SVG refused
    questions  the common question types → native practice items with their feedback
    convert    one or several .h5p files → a pack folder, then the ordinary verify → prepare → install

Part of `server.content`: imports only the core and `server.content.packs`.
"""
