"""Export the public datasets the Cox reference fits use, so R reads exactly our data.

Run from the repository root: ``python tests/reference/cox/export_data.py``; then
``Rscript tests/reference/cox/cox_reference.R`` writes the fixtures beside this file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from lifelines.datasets import load_lung, load_rossi
from sksurv.datasets import load_gbsg2, load_veterans_lung_cancer

HERE = Path(__file__).resolve().parent


def main() -> None:
    rossi = load_rossi()
    # A three-level factor so the reference-level handling is exercised on tied weekly times.
    rossi["prio_group"] = pd.cut(rossi["prio"], [-1, 0, 3, 100], labels=["0", "1-3", "4+"])
    rossi = rossi[["week", "arrest", "fin", "age", "race", "wexp", "mar", "paro", "prio_group"]]
    rossi.to_csv(HERE / "rossi.csv", index=False)

    lung = load_lung()[["time", "status", "age", "sex", "ph.ecog"]].rename(
        columns={"ph.ecog": "ph_ecog"}
    )
    lung["sex"] = lung["sex"].map({1: "male", 2: "female"})
    lung["ph_ecog"] = lung["ph_ecog"].map(lambda v: pd.NA if pd.isna(v) else str(int(v)))
    lung.to_csv(HERE / "lung.csv", index=False)

    x, y = load_veterans_lung_cancer()
    vet = pd.DataFrame(
        {
            "time": y["Survival_in_days"],
            "status": y["Status"].astype(int),
            "karno": x["Karnofsky_score"],
            "age": x["Age_in_years"],
            "celltype": x["Celltype"].astype(str),
            "trt": x["Treatment"].astype(str),
        }
    )
    vet.to_csv(HERE / "veterans.csv", index=False)

    x, y = load_gbsg2()
    gbsg = pd.DataFrame(
        {
            "time": y["time"],
            "cens": y["cens"].astype(int),
            "age": x["age"],
            "horTh": x["horTh"].astype(str),
            "tsize": x["tsize"],
            "tgrade": x["tgrade"].astype(str),
            "pnodes": x["pnodes"],
            "progrec": x["progrec"],
        }
    )
    gbsg.to_csv(HERE / "gbsg2.csv", index=False)

    # Separation: every event is in arm "B", so the arm coefficient diverges (monotone
    # likelihood); age is an ordinary covariate.
    rng = np.random.default_rng(20261127)
    n = 40
    arm = np.repeat(["A", "B"], n // 2)
    time = np.round(rng.exponential(12.0, n), 1) + 0.1
    event = np.where(arm == "B", (rng.random(n) < 0.8).astype(int), 0)
    age = np.round(rng.normal(60, 8, n))
    pd.DataFrame({"time": time, "event": event, "arm": arm, "age": age}).to_csv(
        HERE / "separation.csv", index=False
    )


if __name__ == "__main__":
    main()
