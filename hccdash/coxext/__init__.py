"""Extensions of the Cox engine: strata, (start, stop] data, weights, robust variance,
adjusted curves, weighting, subgroups and landmarks (issue 18)."""
