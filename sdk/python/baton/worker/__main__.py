import sys

from baton.worker.cli import main

sys.exit(main())
