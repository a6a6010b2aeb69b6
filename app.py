"""`python app.py` is `csp-bot serve`."""

from bot.app.cli import main

if __name__ == "__main__":
    main(["serve"])
