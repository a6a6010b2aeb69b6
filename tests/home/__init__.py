"""Tests of bot/home/: App Home."""
