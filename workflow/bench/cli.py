"""``flask --app workflow bench seed --submissions 100000``: years of made-up history for the benchmarks."""

import logging
import time

import click
from flask.cli import AppGroup

from workflow.bench.generator import BENCH_DOMAIN, BENCH_PASSWORD, EDITORS, Plan, seed

bench = AppGroup("bench", help="Data for the benchmarks (bench/).")


@bench.command("seed")
@click.option("--submissions", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="How many submissions to add.")
@click.option("--years", type=click.IntRange(min=1, max=50), default=10, show_default=True,
              help="Over how many years they were pitched.")
@click.option("--seed", "random_seed", type=int, default=2026, show_default=True,
              help="The same seed gives the same data.")
@click.option("--arabic", type=click.FloatRange(min=0, max=1), default=0.0, show_default=True,
              help="The share of stories written in Arabic.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def seed_command(submissions, years, random_seed, arabic, quiet):
    """Add SUBMISSIONS made-up submissions, with their people, drafts, messages, audit rows and notifications.

    In one transaction: PostgreSQL COPY, SQLite batched inserts. Run it again to add more.
    """
    logging.getLogger("workflow").setLevel(logging.WARNING)
    plan = Plan(submissions=submissions, years=years, seed=random_seed, arabic=arabic)
    started = time.perf_counter()
    with click.progressbar(length=submissions, label="Submissions", hidden=quiet) as bar:
        loaded = seed(plan, progress=bar.update)
    seconds = time.perf_counter() - started
    rows = sum(loaded.rows.values())
    for table, count in loaded.rows.items():
        click.echo(f"  {table:<18} {count:>12,}")
    click.echo(f"{rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s). "
               f"Editors sign in as editor1..editor{EDITORS}@{BENCH_DOMAIN} (editor1 is an admin), "
               f"password {BENCH_PASSWORD}.")
