"""Practice items: the normalized format (`items`), GIFT and Aiken importers, and grading."""
