"""``python -m hub`` is the itsm-hub command."""

from hub.cli import main

main()
