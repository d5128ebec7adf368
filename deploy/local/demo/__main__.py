"""`python deploy/local/demo`: what `make demo` runs."""

import sys
from pathlib import Path

# Python put this package's own folder first, where its story modules (crm, records...) would
# stand for top-level ones: deploy/local instead, as for the launcher.
sys.path[0] = str(Path(__file__).resolve().parents[1])
from demo import main  # noqa: E402

sys.exit(main())
