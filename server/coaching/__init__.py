"""Coaching: what a coach sees and does for a class.

Owns: the class overview and needs-help list (`reports`), the grid cut for a phone (`grid_views`), item analysis (`item_analysis`), one learner's page
and parent reports (`learner_reports`), groups (`groups`), assignments (`assignments`), projects and open
work (`projects`), hand-ins and their review (`handins`, `handin_events`), learners' uploads (`uploads`),
study buddies (`buddies`).
May import: the core, `server.content`, `server.people`, `server.learning`.
"""
