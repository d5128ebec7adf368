"""bizdev risk: the risk register, assessments, responses, reviews and key risk indicators
(REGULATIONS §5)."""
