"""``python -m lab.cli``: the same entry point as the ``baglab`` script."""
from lab.cli import main

if __name__ == "__main__":
    main()
