"""``python -m hccdash.cohort``: rebuild data/hcc_oligomets_reconstructed.csv and its report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hccdash.cohort.generator import DEFAULT_ITERATIONS, SEED, generate, write
from hccdash.schema import DATA_DIR


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the generator, write or check the files."""
    parser = argparse.ArgumentParser(
        prog="python -m hccdash.cohort",
        description="Rebuild the reconstructed cohort from the paper's published figures.",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--iterations", type=int, default=DEFAULT_ITERATIONS)
    parser.add_argument("--out-dir", type=Path, default=DATA_DIR)
    parser.add_argument(
        "--check", action="store_true", help="compare with the files in --out-dir, write nothing"
    )
    args = parser.parse_args(argv)
    gen = generate(seed=args.seed, iterations=args.iterations)
    if args.check:
        same = (args.out_dir / "hcc_oligomets_reconstructed.csv").read_bytes() == gen.csv and (
            args.out_dir / "reconstruction_report.md"
        ).read_bytes() == gen.report
        print("identical" if same else "DIFFERENT")
        return 0 if same else 1
    csv_path, report_path = write(gen, args.out_dir)
    print(f"wrote {csv_path} and {report_path} (distance {gen.score:.6f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
