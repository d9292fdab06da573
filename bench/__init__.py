"""`make bench`: the registry's speed and memory, measured on the example app served by gunicorn."""
