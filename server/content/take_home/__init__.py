"""Take this pack home: one self-contained HTML file per pack version and language, to read with no server.

`build` says what the file holds and keeps it under DATA/take-home; `inline` makes lesson HTML stand on
its own (pictures as `data:` images, links inside the file). The web layer renders the document.
"""
