"""Write what is made from the delivery declarations and kept in the repository for review:
the GX suite of every source (`checks/deliveries/<source>.gx.json`) and the contract tables of
docs/landing.md. Tests check both are what the declarations make now.

    uv run --frozen python -m scripts.generate_deliveries
"""

from __future__ import annotations

import json

from checks.deliveries import DECLARATIONS
from checks.deliveries.docs import LANDING_DOC, updated_doc
from checks.municipal import suite_document, suite_path


def suite_text(source: str) -> str:
    return json.dumps(suite_document(DECLARATIONS[source]), ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    for source in DECLARATIONS:
        path = suite_path(source)
        path.write_text(suite_text(source), encoding="utf-8")
        print(f"wrote {path}")
    LANDING_DOC.write_text(updated_doc(LANDING_DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {LANDING_DOC}")


if __name__ == "__main__":
    main()
