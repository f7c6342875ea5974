"""The `lantern` command (`commands`: serve, packs, backups, rebuild, updates; `sync_hub`: sync and hub).

Owns: parsing command lines and printing results; each command calls one domain function.
May import: everything; nothing imports it.
"""
