"""The delivery layer: blueprints that parse input, call one domain function, render.

Owns: every route, the access rules (`access`), HTTP hygiene (`http`), the error pages (`errors`).
May import: every other layer except `server.cli`; nothing below imports `server.web` (sync.hub, the hub's
blueprint, counts as part of this layer).

Imports inside functions: `init_app` loads the view modules, so importing one of them (sync.hub needs
`access.allow`) does not load every view; `create_app` loads them all.
"""
from flask import g


def init_app(app) -> None:
    """Register every blueprint and the cross-cutting HTTP behaviour."""
    from server import i18n
    from server.learning import profiles
    from server.web import (access, account, admin, coach, errors, http, language, learn, media, offline,
                              operate, practice, privacy, progress)

    http.init_app(app)
    i18n.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    operate.init_app(app)
    for module in (learn, media, account, practice, progress, operate, coach, admin, privacy, language,
                   offline):
        app.register_blueprint(module.bp)
    from server.web import buddies, discussion  # learning together (issue 10)
    app.register_blueprint(discussion.bp)
    app.register_blueprint(buddies.bp)
    from server.web import projects, review  # projects and hand-ins (issue 10)
    app.register_blueprint(projects.bp)
    app.register_blueprint(review.bp)
    from server.web import apps  # HTML5 apps from Kolibri channels and H5P, sandboxed (issue 16)
    app.register_blueprint(apps.bp)
    from server.web import take_home  # lessons that go home over plain HTTP (issue 19)
    app.register_blueprint(take_home.bp)
    if app.config["ROLE"] == "hub":
        from sync import hub

        app.register_blueprint(hub.bp)

    @app.context_processor
    def _viewer():
        account_ = g.get("account")
        profile = profiles.profile_of(account_) if account_ else {}
        return {"account": account_, "profile": profile, "body_class": profiles.body_classes(profile)}
