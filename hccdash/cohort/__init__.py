"""The bundled cohort's generator: a deterministic reconstruction of Luo et al.'s 21 patients.

``python -m hccdash.cohort`` (or :func:`generate` then :func:`write`) rebuilds
``data/hcc_oligomets_reconstructed.csv`` and ``data/reconstruction_report.md`` byte for byte.
"""

from hccdash.cohort.generator import DEFAULT_ITERATIONS, SEED, Generated, generate, write

__all__ = ["DEFAULT_ITERATIONS", "SEED", "Generated", "generate", "write"]
