import sys

from chemexplain.cli import main

sys.exit(main())
