"""gunicorn settings of the demo (read from the working directory by scripts/serve.sh and
benchmarks/server/run.sh): each worker opens the engine when it starts, not on its first request."""


def post_worker_init(worker):
    from django_loyalty.core import engine

    engine.engine()
