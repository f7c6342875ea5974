"""Mastery rules (pure): when has a learner shown they master a skill?

A pack may choose, per skill, `{"rule": "streak", "count": k}` (k correct in a row) or
`{"rule": "m_of_n", "m": m, "n": n}` (m of the last n correct). The default is 5 in a row.
"""
DEFAULT_RULE = {"rule": "streak", "count": 5}
RECENT_KEPT = 50


def rule_for(skill_rule: dict | None) -> dict:
    """The rule in force for a skill."""
    return skill_rule or DEFAULT_RULE


def is_mastered(recent: list[int], rule: dict | None) -> bool:
    """True when the recent results (1 correct, 0 wrong; newest last) satisfy the rule."""
    rule = rule_for(rule)
    if rule["rule"] == "streak":
        count = rule["count"]
        return len(recent) >= count and all(recent[-count:])
    m, n = rule["m"], rule["n"]
    return sum(recent[-n:]) >= m


def answers_needed(recent: list[int], rule: dict | None) -> int:
    """The fewest further correct answers that would reach mastery."""
    rule = rule_for(rule)
    if is_mastered(recent, rule):
        return 0
    if rule["rule"] == "streak":
        streak = 0
        for result in reversed(recent):
            if not result:
                break
            streak += 1
        return rule["count"] - streak
    for extra in range(1, rule["n"] + 1):
        if is_mastered(recent + [1] * extra, rule):
            return extra
    return rule["n"]


def describe(rule: dict | None) -> str:
    """The rule in plain words, for learners and coaches."""
    rule = rule_for(rule)
    if rule["rule"] == "streak":
        return f"{rule['count']} right answers in a row"
    return f"{rule['m']} right out of the last {rule['n']} answers"
