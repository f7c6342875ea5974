"""Learning: the event log of what learners do, and everything derived from it for the learner.

Owns: recording events and rebuilding summaries (`progress`, with the per-kind registry `event_kinds`),
mastery (`mastery`), the learner model (`learner_model`), practice and item choice (`practice`), spaced review
(`review`), "What next" (`recommend`), learner profiles (`profiles`), the learner's own progress page
(`progress_report`), questions on lessons (`discussion`).
May import: the core, `server.content`, `server.people`. Never coaching, device, web or sync: features above
register what their events derive with `event_kinds`, so the event layer does not call them back.
"""
