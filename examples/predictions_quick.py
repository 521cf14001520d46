"""The four thermodynamic-learning predictions at the smallest size, with computed verdicts.

Writes report.html and predictions.json to a temporary directory and prints each verdict.
The full-size run is ``thermolearn predictions --out DIR`` (about a minute).
"""

import tempfile

from thermolearn.experiments.predictions import PredictionsConfig, run_predictions

with tempfile.TemporaryDirectory() as out:
    res = run_predictions(PredictionsConfig.tiny(), out)
    for section in res["predictions"].values():
        print(f"{section['title']}:\n  {section['verdict']['text']}\n")
    rows = res["predictions"]["parallel_serial"]["rows"]
    print(" N   serial kT/bit   parallel kT/bit")
    for r in rows:
        print(f"{r['n_bits']:2d}   {r['serial']['heat_per_bit_kT']:.3f}           "
              f"{r['parallel']['heat_per_bit_kT']:.3f}")
    print(f"wall time {res['wall_seconds']:.1f} s")
