"""docs/PERFORMANCE.md from one run's measured results. Every number on the page comes from the results, from the
program's declarations or from a named constant of the code it describes; none is typed here."""

from __future__ import annotations

import os
import platform
import statistics
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from adapters.inbound.s3_dropped_files import CHUNK_BYTES
from benchmarks import alert_fan_out, low_items_list, prices, suite_profile
from benchmarks.alert_fan_out import (
    DELETE,
    DELIVERY,
    MARK,
    NEW_PATH,
    RECEIVES_WITH_ALERTS,
    WEBHOOK_INVOCATIONS,
    AlertRun,
    usd_per_million_alerts,
)
from benchmarks.checks import (
    COLD_START,
    FEWER_REQUESTS_THAN_ORIGINAL,
    HTTP_API_COST,
    IMPORT_RATE_AIM,
    IMPORT_SPEEDUP,
    REQUESTS_PER_UPDATE,
    Target,
)
from benchmarks.cold_start import ColdStarts
from benchmarks.deployment import Package, Program
from benchmarks.end_to_end import (
    BATCH,
    CLAIM,
    CROSSING_ROWS,
    FREE_READS,
    INVOCATIONS,
    LIST_MARK,
    LIST_MARKS,
    ORIGINAL_BATCH_SIZE,
    PUBLISH,
    REORDER_LINE_EVERY,
    SENT_MARK,
    UPDATE,
    Run,
    counted_per_update,
    per_crossing,
    per_crossing_before,
    stock_lines,
    table_column,
)
from benchmarks.import_rate import LOCK_WAIT, PATHS, SAMPLES_PER_SECOND, SPED_UP, TODAY, VIAS, ImportRates, Profile
from benchmarks.low_items_list import ListRun
from benchmarks.sizes import Sizes
from benchmarks.suite_profile import SuiteProfile
from handlers.aws import WRITE_CONCURRENCY
from handlers.webhook_alerts import WEBHOOK_URL_MAX_AGE_SECONDS

COUNTED_ROW = "requests per update that crosses nothing"
OURS, ORIGINAL = "queue path (ours)", "queue path (original)"
# One column of the request table and one row of the cost table per kind of API, named by it: dev and prod serve an
# HTTP API, a stack left at the default a REST API, and their costs differ mostly by the API request's price.
API_KINDS = ("rest", "http")
API_PATH = {"rest": "API path (ours, REST API)", "http": "API path (ours, HTTP API)"}
FLOOR = "floor: one DynamoDB write per update"
REQUESTS_PER_ALERT_ROW = "requests per alert"
COST_PER_ALERT_ROW = "USD per million alerts"
REQUESTS_PER_CROSSING_ROW = "requests per crossing"
COST_PER_CROSSING_ROW = "USD per million crossings"
PAGE_TOTAL_ROW = "USD per million pages"
_SECRET_READ = "secretsmanager:GetSecretValue"


@dataclass(frozen=True)
class Results:
    """Everything one run of `make bench` measured, each part already checked."""

    sizes: Sizes
    started: datetime
    minutes: float
    load_before: float  # 1-minute load average
    load_after: float
    program: Program
    package: Package
    cold_starts: ColdStarts
    overhead: dict[str, float]  # microseconds per unit
    ours_large: Run
    ours: Run
    original: Run
    api: Run  # through the REST API
    api_http: Run  # through the HTTP API
    alerts: AlertRun
    low_list: ListRun
    reload: dict[str, float]
    drop_memory: dict[str, dict[str, float]]
    import_rates: ImportRates
    import_profiles: list[Profile]  # one import through the queue on each path, profiled
    suite: SuiteProfile | str  # the last passed `make test`'s profile, or why none was read

    @property
    def notifier(self) -> str:
        return self.program.function("handlers.low_stock_notifier").name

    def columns(self) -> dict[str, dict[str, float]]:
        """The request table's columns, per 1,000 updates; the original's invocations leave out the notifier."""
        return {
            OURS: table_column(self.ours),
            ORIGINAL: table_column(self.original, (self.notifier,)),
            **{API_PATH[kind]: table_column(api_run(self, kind)) for kind in API_KINDS},
        }

    def targets(self) -> list[tuple[str, Target, float]]:
        """Every target with its measured figure."""
        counted = {name: counted_per_update(column) for name, column in self.columns().items()}
        ours, original = counted[OURS], counted[ORIGINAL]
        return [
            *[(f"cold start of {s.name}", COLD_START, s.ratio) for s in self.cold_starts.ours()],
            ("requests per update that crosses nothing, queue path", REQUESTS_PER_UPDATE, ours),
            ("fewer requests per update than the original", FEWER_REQUESTS_THAN_ORIGINAL, original / ours),
            (
                "cost per update of the API path, HTTP API",
                HTTP_API_COST,
                api_cost(self, "http") / api_cost(self, "rest"),
            ),
            *[
                (f"local import rate with the speed-ups, {via}", IMPORT_SPEEDUP, self.import_rates.ratio(via))
                for via in VIAS
            ],
            *[(f"local import rate, {via}", IMPORT_RATE_AIM, self.import_rates.median(via, SPED_UP)) for via in VIAS],
        ]


def machine() -> str:
    """Cores, CPU model, Python and system of this machine, as it reports them."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.machine())
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"


def render(results: Results) -> str:
    sections: list[Callable[[Results], list[str]]] = [
        _header,
        _cold_starts,
        _overhead,
        _requests,
        _costs,
        _wall_time,
        _deployment,
        _reload,
        _drop_memory,
        _powertools,
        _alerts,
        _api_kinds,
        _crossings,
        _low_list,
        _import_rate,
        lambda r: suite_profile.render(r.suite, 15),
    ]
    return "\n".join(line for section in sections for line in section(results))


def _paragraph(*sentences: str, indent: str = "") -> list[str]:
    """Prose wrapped for reading the page as text, then a blank line."""
    text = " ".join(sentence for sentence in sentences if sentence)
    return [*textwrap.wrap(text, 115, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False), ""]


def _count(number: int, noun: str, plural: str = "") -> str:
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def _times(number: int) -> str:
    return "once" if number == 1 else f"{number:,} times"


def _verdict_cell(target: Target, value: float) -> str:
    return f"{target.bound()}: {target.outcome(value)}"


def _header(r: Results) -> list[str]:
    s = r.sizes
    smaller = ["**Not `make bench`'s own sizes: this run shows that the benchmarks run, not how fast.**", ""]
    return [
        "# Performance",
        "",
        *_paragraph(
            f"Measured by `make bench` on {r.started:%Y-%m-%d}, on {machine()}, in {r.minutes:.1f} minutes; the",
            f"load average (one minute) was {r.load_before:.1f} when it started and {r.load_after:.1f} when it",
            "ended. Every median and ratio below was measured side by side in this one run; the machine is shared",
            "and noisy, so read the ratios rather than the absolute times. Every measured call was checked as it",
            "ran (answers, batch failures, alerts sent, errors logged); a failed check stops `make bench` before",
            f"this page is written. Sizes: {s.lines:,} and {s.compared_lines:,} lines through the queue,",
            f"{s.api_updates:,} API updates, {s.alerts:,} alerts on both channels, {s.low_items:,} low items",
            f"paged through {_times(s.list_walks)},",
            f"{_count(s.cold_start_runs, 'cold start')} of each process; each size",
            "can be set (`benchmarks/sizes.py`), and `make bench BENCH_SIZE=tiny` is a quick smoke run.",
        ),
        *(smaller if s != Sizes() else []),
    ]


def _cold_starts(r: Results) -> list[str]:
    starts = r.cold_starts
    base, botocore = starts.baseline, starts.botocore
    boto3_own = base.median_ms - botocore.median_ms
    boto3_sentence = (
        f"In this run boto3's own import (s3transfer among it), on top of botocore's, took {boto3_own:.0f} ms,"
        f" {boto3_own / base.median_ms:.0%} of the baseline: the two reference rows."
        if boto3_own > 0
        else "In this run boto3's import cost no more than botocore's alone: the two reference rows."
    )
    return [
        "## 1. Cold start per handler",
        "",
        *_paragraph(
            "A fresh interpreter (`python -I`) imports the handler from the unpacked deployment package and does",
            "what its first invocation does before its first AWS call (builds its clients), with no network; a",
            "process that fails stops the run. Baseline: a process that only imports boto3 and creates one client.",
            f"Median of {_count(starts.runs, 'run')} each, interleaved. Target for each handler: {COLD_START.bound()}.",
        ),
        "| process | median | ratio to baseline | target |",
        "| --- | ---: | ---: | --- |",
        *[f"| {s.name} | {s.median_ms:.0f} ms | {s.ratio:.2f}x | |" for s in (base, botocore)],
        *[
            f"| {s.name} | {s.median_ms:.0f} ms | {s.ratio:.2f}x | {_verdict_cell(COLD_START, s.ratio)} |"
            for s in [*starts.ours(), *starts.before()]
        ],
        "",
        *_paragraph(
            "The handlers build their clients from a botocore session, as boto3 does underneath, rather than import",
            f'boto3. {boto3_sentence} The rows marked "before" run the same setup with `import boto3` first, as the',
            "handlers did before (the webhook's function, written since, never did). Powertools for AWS Lambda,",
            "measured in the same run: section 9.",
        ),
    ]


def _overhead(r: Results) -> list[str]:
    s = r.sizes
    per_repeat = {
        "API request": _count(s.api_requests, "request"),
        "queue line": f"{_count(s.queue_messages, 'message')} of {_count(s.lines_per_message, 'line')}",
        "stream record": _count(s.stream_records, "record"),
        "alert message": f"{_count(s.alert_messages, 'message')} of the chat webhook's queue",
    }
    return [
        "## 2. Handler overhead per unit of work",
        "",
        *_paragraph(
            f"Each handler with in-memory fakes behind the ports (no AWS), median of {_count(s.repeats, 'repeat')},",
            "each on fresh fakes and checked (every answer a 200, no batch failure, every line stored, every alert",
            "due sent, nothing logged at WARNING or above): what our own code costs. Log records below WARNING are",
            "not written here; in Lambda, at the INFO level the functions run at, they are.",
        ),
        "| unit | each repeat | microseconds per unit |",
        "| --- | --- | ---: |",
        *[f"| {unit} | {per_repeat[unit]} | {micros:.1f} |" for unit, micros in r.overhead.items()],
        "",
    ]


def counted_cell(row: str) -> str:
    """How a row of the request table counts in the requests per update (the page's `counted` column)."""
    if row in FREE_READS:
        return "no: Lambda's stream reads are free"
    if row == PUBLISH:
        return "no: the alert"
    if row == CLAIM:
        return "no: claims the alert"
    if row == UPDATE:
        return "yes, less one per alert (marks it sent) and one per item listed (its list mark)"
    if row == LIST_MARKS:
        return "no: read from the table after the run"
    return "yes"


def _requests(r: Results) -> list[str]:
    columns = r.columns()
    names = list(columns)
    operations = {row for column in columns.values() for row in column} - {LIST_MARKS, INVOCATIONS}
    rows = [*sorted(operations), LIST_MARKS, INVOCATIONS]
    counted = {name: counted_per_update(column) for name, column in columns.items()}
    ours, original = counted[OURS], counted[ORIGINAL]
    rest, http = (counted[API_PATH[kind]] for kind in API_KINDS)
    import_function = r.program.function("handlers.queue_import")
    example = stock_lines(REORDER_LINE_EVERY, stack_default=r.program.threshold)[-1]
    unaccounted = r.ours.unaccounted_updates
    return [
        f"## 3. AWS requests per 1,000 stock updates (end to end, {r.sizes.compared_lines:,} lines each)",
        "",
        *_paragraph(
            "File -> loader -> queue -> function -> table -> stream -> notifier on the local stack, counted where",
            "every request lands: a WSGI layer in front of the embedded AWS that sees the loader's, the pollers'",
            "and the functions' requests alike. Ours: the loader packs lines into messages, batch size",
            f"{import_function.batch_size}. The original configuration: one `SendMessage` per line, batch size",
            f"{ORIGINAL_BATCH_SIZE}, on the same local stack with the same function code. Each file gives new items",
            f"their levels, and one line in {REORDER_LINE_EVERY} gives the item of the line before it a reorder point",
            f"of its own, in the named form (`{example}`): at or above the stack's default, above the level for some",
            "items, which become low. Those lines carry their own time, so each is a write of its own (the import",
            "function merges the lines of one item and one time into one write). Each run is checked: every line",
            "stored as the domain's rules store it, one `Publish` and one claim per crossing of an item's reorder",
            "point (the file's lines replayed through the domain: `low_stock_alert`), the list of low items holding",
            "exactly the items low (`is_low`), nothing logged at WARNING or above by the functions or the stack.",
            "`ReceiveMessage` includes the pollers' empty long polls during the run.",
        ),
        f"| operation | counted | {' | '.join(names)} |",
        f"| --- | --- | {' | '.join('---:' for _ in names)} |",
        *[
            f"| {row} | {counted_cell(row)} | {' | '.join(f'{columns[n].get(row, 0.0):.1f}' for n in names)} |"
            for row in rows
        ],
        f"| **{COUNTED_ROW}** | | {' | '.join(f'**{counted[n]:.3f}**' for n in names)} |",
        "",
        *_paragraph(
            "Requests per update that crosses nothing, to move and store it, counted as the `counted` column says",
            "(the rows marked yes, less what each crossing makes: one `UpdateItem` per `Publish`, its sent mark,",
            f"and one per item listed, its list mark; per 1,000): ours **{ours:.3f}**",
            f"({REQUESTS_PER_UPDATE.verdict(ours)}); the original {original:.3f}, **{original / ours:.1f}x** ours",
            f"({FEWER_REQUESTS_THAN_ORIGINAL.verdict(original / ours)}); the API path {rest:.3f} through a REST",
            f"API and {http:.3f} through an HTTP API (the kind dev and prod serve: section 11), plus the API",
            "Gateway request itself. Both queue columns ran our notifier on the same stack, so the alerts' and the",
            "list's requests appear in both and are left out of both alike; the original's invocations row counts",
            f"its import function (`{import_function.name}`) alone, as it published inline and had no notifier",
            f"function. Of ours' {r.ours.requests[UPDATE]:,} `UpdateItem`s, {r.ours.updates:,} wrote the updates,",
            f"{r.ours.requests[PUBLISH]:,} marked alerts sent, {r.ours.listed:,} listed items, and {unaccounted:,}",
            "were none of these (a list mark refused by its condition, a write sent again): counted against the",
            "updates here, and against the crossings in section 12.",
        ),
        *_paragraph(
            "Alerts add one `Publish` per crossing of an item's reorder point (the stack's default is",
            f"{r.program.threshold}): {r.ours.per_thousand(PUBLISH):.0f} per 1,000 in this file, where every item is",
            "new; and two small writes that record it (claimed, then sent: the `PutItem` and as many `UpdateItem`s",
            "above), so that a retried batch never sends it twice; and the item's list mark. Crossings by",
            "operation, now and before the list: section 12. The original, which knew no reorder point, published",
            "for every update of a level at or below the threshold:",
            f"{1000 * r.original.alerts_due_original_rule / r.original.updates:.0f} per 1,000 here, and again on",
            "every later update of an item already low.",
        ),
    ]


def _costs(r: Results) -> list[str]:
    costs: dict[str, Mapping[str, float]] = {
        OURS: prices.cost_per_million(r.ours),
        ORIGINAL: prices.cost_per_million(r.original, original=True, left_out_functions=(r.notifier,)),
        **{API_PATH[kind]: api_costs(r, kind) for kind in API_KINDS},
        FLOOR: {"DynamoDB": prices.DYNAMODB_WRITE.usd_per_million},
    }
    batched = {name: run for name, run in ((OURS, r.ours), (ORIGINAL, r.original)) if run.per_thousand(BATCH)}
    chunks = [
        f"`{BATCH}` in {name}: {run.per_thousand(BATCH):.1f} per 1,000 updates, billed as "
        f"{1000 * prices.billed_batch_requests(run) / run.updates:.1f} requests"
        for name, run in batched.items()
    ]
    return [
        "## 4. Cost per million updates",
        "",
        *_paragraph(
            "From the counts above and AWS list prices (Lambda duration left out: it was not measured here). SQS",
            f"bills each `SendMessage` once and each `SendMessageBatch` per {prices.CHUNK // 1024} KB chunk of what",
            f"it sent ({'; '.join(chunks) or 'none sent'}); the API path sends none. The original is billed as it",
            "ran: a `Publish` for every update of a level at or below the threshold, no record of alerts, no list",
            "of low items, no notifier function. Each API path adds its own kind's request price. The cost of each",
            "alert on a stack with both alert channels, before and after each channel got its own path: section 10;",
            "of a crossing, before and after the list of low items: section 12; of a page of that list: section 13.",
        ),
        "| price | USD per million | source |",
        "| --- | ---: | --- |",
        *[f"| {p.item} | {p.usd_per_million:.3f} | {p.source} |" for p in prices.ALL],
        "",
        *_paragraph(
            f"All prices: region {prices.REGION}, as published in {prices.PUBLISHED}. The stacks run in eu-west-3",
            "(Paris), whose list prices differ: these are not its costs.",
        ),
        f"| configuration | {' | '.join(prices.ITEMS)} | total |",
        f"| --- | {' | '.join('---:' for _ in prices.ITEMS)} | ---: |",
        *[
            f"| {name} | {' | '.join(f'{cost.get(item, 0.0):.3f}' for item in prices.ITEMS)} | "
            f"**{sum(cost.values()):.3f}** |"
            for name, cost in costs.items()
        ],
        "",
    ]


def _rate(run: Run) -> str:
    return f"{run.updates / run.seconds:,.0f}"


def _wall_time(r: Results) -> list[str]:
    ours, original, large = r.ours, r.original, r.ours_large
    batch = r.program.function("handlers.queue_import").batch_size
    busy = {run.name: run.cpu_seconds / run.seconds for run in (large, ours, original)}
    busiest = max(busy.values())
    not_run = (
        f"The original was not run on {large.updates:,} lines: at its measured rate that would take about "
        f"{large.updates * original.seconds / original.updates / 60:.0f} minutes here."
        if large.updates > original.updates
        else ""
    )
    pace = (
        f"so at {busiest:.0%} that process, not the functions, set the pace."
        if busiest >= 0.8
        else f"at most {busiest:.0%} here, so it did not set the pace alone."
    )
    return [
        "## 5. Import wall time on the local stack",
        "",
        *_paragraph("From the first line sent (for ours, the start of `make send`'s loader) to the last one stored."),
        "| configuration | lines | wall time | lines per second | this process busy |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| ours (loader packs lines, batch size {batch}, up to {WRITE_CONCURRENCY} saves at once) | "
        f"{large.updates:,} | {large.seconds:.1f} s | {_rate(large)} | {busy[large.name]:.0%} |",
        f"| ours | {ours.updates:,} | {ours.seconds:.1f} s | {_rate(ours)} | {busy[ours.name]:.0%} |",
        f"| original (one message per line, batch size {ORIGINAL_BATCH_SIZE}) | {original.updates:,} | "
        f"{original.seconds:.1f} s | {_rate(original)} | {busy[original.name]:.0%} |",
        "",
        *_paragraph(
            f"Side by side on {r.sizes.compared_lines:,} lines, ours is **{original.seconds / ours.seconds:.1f}x**",
            f"faster. {not_run}",
            '"This process busy" is the CPU time of the process that holds the embedded AWS, the pollers and the',
            "API, over the wall time; Python runs one thread of a process at a time, on one of this machine's",
            f"{os.cpu_count()} cores, {pace}",
        ),
    ]


def _deployment(r: Results) -> list[str]:
    package, program = r.package, r.program
    stored = (
        "stored (not deflated) files, so its hash does not depend on the zlib that built it"
        if package.stored
        else "files, some deflated"
    )
    folders = ", ".join(f"`{folder}/`" for folder in package.folders)
    functions = ", ".join(f"`{name}`" for name in package.functions)
    return [
        "## 6. Deployment",
        "",
        *_paragraph(
            f"- Deployment package: **{package.zip_bytes:,} bytes**, a zip of {package.files} {stored};",
            f"{package.unpacked_bytes:,} bytes unpacked: {folders} only. The {len(package.functions)} functions",
            f"({functions}) share it. boto3 comes with the Lambda runtime.",
            indent="  ",
        )[:-1],
        *_paragraph(
            f"- The Pulumi program builds its graph of {program.resources} resources under mocks in a median of",
            f"**{program.median_seconds * 1000:.0f} ms** ({_count(program.runs, 'run')}): the part of",
            "`pulumi preview` the program controls.",
            indent="  ",
        ),
    ]


def _reload(r: Results) -> list[str]:
    reload = r.reload
    return [
        "## 7. Code reload in `make run`",
        "",
        *_paragraph(
            "From saving a rule in `domain/stock.py` to the first API request that follows it, on a running local",
            f"stack: median **{reload['median'] * 1000:.0f} ms**, longest {reload['longest'] * 1000:.0f} ms",
            f"({_count(int(reload['rounds']), 'save')}, alternating two rules). That is the file watcher's",
            "debounce, the rebuild of the code archive, and the cold start of a new execution environment on the",
            "new code; the table, queues and their messages stay as they are.",
        ),
    ]


def _drop_memory(r: Results) -> list[str]:
    memory = r.drop_memory
    sizes = sorted({int(key.split("-")[1]) for key in memory})
    smallest, largest = sizes[0], sizes[-1]
    rows = [
        f"| {size:,} | {memory[f'stream-{size}']['peak_mib']:.1f} MiB | {memory[f'whole-{size}']['peak_mib']:.1f} MiB"
        f" | {memory[f'stream-{size}']['seconds']:.1f} s |"
        for size in sizes
    ]
    growth = memory[f"stream-{largest}"]["peak_mib"] - memory[f"stream-{smallest}"]["peak_mib"]
    whole_growth = memory[f"whole-{largest}"]["peak_mib"] - memory[f"whole-{smallest}"]["peak_mib"]
    timeout = r.program.function("handlers.bucket_import").timeout_seconds
    seconds = memory[f"stream-{largest}"]["seconds"]
    # Two significant digits: a rate measured once or thrice says no more.
    fits = f"At this rate about {float(f'{largest * timeout / seconds:.2g}'):,.0f} lines fit in one." if largest else ""
    return [
        "## 8. Memory of the drop bucket's function",
        "",
        *_paragraph(
            "Peak resident memory (Linux's VmHWM, median of",
            f"{_count(r.sizes.drop_runs, 'fresh process', 'fresh processes')})",
            "of the function handling one dropped file of valid lines against the embedded AWS, checked by the",
            "report it writes (every line sent), beside a process that reads the same object whole and splits it",
            "into lines, as a function written without streaming would. The function reads",
            f"{CHUNK_BYTES // 1024} KiB at a time and holds at most one SendMessageBatch request of packed lines.",
        ),
        "| lines in the file | drop function (streams) | whole-file reader | drop function's time |",
        "| ---: | ---: | ---: | ---: |",
        *rows,
        "",
        *_paragraph(
            f"From {smallest:,} to {largest:,} lines the function's peak grows by {growth:.1f} MiB; the whole-file",
            f"reader's by {whole_growth:.1f} MiB. The time is the function's own (parse, stamp, pack, send to the",
            f"embedded SQS): it bounds the file one invocation can take within its time-out of {timeout:.0f} s.",
            fits,
        ),
    ]


def _powertools(r: Results) -> list[str]:
    starts = r.cold_starts
    version = metadata.version("aws-lambda-powertools")
    rows = [
        f"| {ours.name} | {ours.median_ms:.0f} ms | {variant.name} | {variant.median_ms:.0f} ms | "
        f"{variant.median_ms - ours.median_ms:+.0f} ms | {ours.ratio:.2f}x | {variant.ratio:.2f}x | "
        f"{_verdict_cell(COLD_START, variant.ratio)} |"
        for ours, variant in starts.with_powertools()
    ]
    return [
        "## 9. Powertools for AWS Lambda, side by side",
        "",
        *_paragraph(
            f"Two of our functions as most Python teams would write them with Powertools for AWS Lambda {version}",
            "(`benchmarks/with_powertools/`, for this benchmark only; not deployed): the import function with its",
            "Logger and BatchProcessor in place of our SQS batch adapter and the standard library's logging, and",
            "the notifier with those and its idempotency utility (a DynamoDB persistence layer) in place of our",
            "sent-alerts claim. Cold starts as in section 1, in the same run and interleaved with it: medians of",
            f"{_count(starts.runs, 'run')}, ratios to the same baseline ({starts.baseline.median_ms:.0f} ms here).",
        ),
        "| ours | median | with Powertools | median | added | ours to baseline | Powertools' to baseline | "
        "Powertools' target |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |",
        *rows,
        "",
    ]


def _made_by(row: str) -> str:
    """What makes a request of the alerts table, after the change (and before it, where that differs)."""
    minutes = WEBHOOK_URL_MAX_AGE_SECONDS / 60
    return {
        PUBLISH: "the stream function: the alert, once, to the topic",
        DELIVERY: "SNS, to the chat webhook's queue (raw delivery); before: none",
        CLAIM: "each channel's claim of the alert; before: both by the stream function",
        MARK: "each channel's sent mark (before: both by the stream function), and the item's list mark",
        _SECRET_READ: f"the webhook's URL, once per execution environment every {minutes:.0f} minutes",
        RECEIVES_WITH_ALERTS: "Lambda's poller: a batch of the webhook's queue; before: none",
        DELETE: "Lambda's poller: the batch handled; before: none",
        WEBHOOK_INVOCATIONS: "the webhook's function, once per batch; before: the stream function posted",
    }.get(row, "")


def _alerts(r: Results) -> list[str]:
    run = r.alerts
    after, before = alert_fan_out.after(run), alert_fan_out.before(run)
    per_alert = {
        name: {row: count / run.alerts for row, count in counts.items()}
        for name, counts in (("before", before), ("after", after))
    }
    requests = {name: sum(rows.values()) for name, rows in per_alert.items()}
    usd = {"before": usd_per_million_alerts(before, run.alerts), "after": usd_per_million_alerts(after, run.alerts)}
    added = usd["after"] - usd["before"]
    one_per_batch = sum(alert_fan_out.price_of(row).usd_per_million for row in NEW_PATH)
    stream = r.program.function("handlers.low_stock_notifier").name
    batches = _count(run.webhook_invocations, "batch", "batches")
    return [
        "## 10. Requests and cost per alert, before and after each channel got its own path",
        "",
        *_paragraph(
            "On a local stack with both alert channels (`alertChannels: [sns, webhook]`), the benchmark writes",
            f"{run.alerts:,} new items at level 0 straight to the table (`{alert_fan_out.BENCHMARK_WRITES}`, its",
            "own requests, left out), each a crossing of its reorder point (the stack's default), and counts every",
            "request as in section 3 until only the pollers talk. Checked: one `Publish` per alert, a claim and a",
            "sent mark per alert on each channel, one list mark per item (every item listed as low), each alert",
            "posted to the chat webhook once with no failed attempt, every batch of the webhook's queue deleted,",
            "nothing logged at WARNING or above. After: what the run counted. Before, the",
            "stream function posted to the webhook itself; that code is gone and the benchmarks of its time measured",
            'no stack with a webhook, so "before" is the same run less what the new path adds: the SNS deliveries',
            "to the queue, the poller's receives that returned alerts and its deletes, and the webhook function's",
            "invocations (`benchmarks/alert_fan_out.py`). The stack counts neither the deliveries nor which receives",
            "returned alerts: the deliveries are the alerts the queue delivered to the webhook's function, and the",
            "receives that returned alerts are its invocations (Lambda's poller invokes once per such receive with",
            "the batching window of 0 the webhook's queue declares). The `UpdateItem` row holds, in both columns, the",
            "list mark the stream function has written for each item become low since items were listed, which",
            "the code of neither time made: it is the list's, not the fan-out's (section 12).",
        ),
        "| request | made by | USD per million | before, per alert | after, per alert |",
        "| --- | --- | ---: | ---: | ---: |",
        *[
            f"| {row} | {_made_by(row)} | {alert_fan_out.price_of(row).usd_per_million:.3f} | "
            f"{per_alert['before'][row]:.3f} | {per_alert['after'][row]:.3f} |"
            for row in after
        ],
        f"| **{REQUESTS_PER_ALERT_ROW}** | | | **{requests['before']:.3f}** | **{requests['after']:.3f}** |",
        f"| **{COST_PER_ALERT_ROW}** | | | **{usd['before']:.3f}** | **{usd['after']:.3f}** |",
        "",
        *_paragraph(
            f"The {run.alerts:,} alerts reached the webhook's function in {batches},",
            f"{run.alerts / run.webhook_invocations:.1f} alerts a batch: the poller takes what has",
            f"arrived, up to {run.webhook_batch_size}, so the faster alerts come the fuller the batches. Per alert the",
            f"new path adds {requests['after'] - requests['before']:.3f} requests and **{added:.3f} USD per million",
            f"alerts** ({added / usd['before']:+.0%}); at one alert per batch, the least batching, it would add",
            f"{one_per_batch:.3f}.",
        ),
        *_paragraph(
            "Left out of both columns, as they are not per alert: the stream function's",
            f"{_count(run.stream_invocations, 'invocation')} (`{stream}` runs for every update, alert or not) and",
            f"its {run.free_reads:,} stream reads, free; the pollers' {run.empty_receives:,} empty long polls in the",
            f"{run.counted_seconds:.0f} s the requests were counted (a poller long-polls its queue while it is",
            "idle, a cost per hour, and the webhook's queue adds one); and the requests SNS and SQS make to KMS",
            "for the encrypted topic and queue, which the local stack does not emulate.",
        ),
    ]


def api_run(r: Results, kind: str) -> Run:
    return r.api_http if kind == "http" else r.api


def api_costs(r: Results, kind: str) -> dict[str, float]:
    """USD per million updates through the API of this kind, by item, from its run's measured requests."""
    return prices.cost_per_million(api_run(r, kind), through_api=True, api_price=prices.API_PRICES[kind])


def api_cost(r: Results, kind: str) -> float:
    """USD per million updates through the API of this kind, from its run's measured requests."""
    return sum(api_costs(r, kind).values())


def _api_kinds(r: Results) -> list[str]:
    kinds = API_KINDS
    runs = {kind: api_run(r, kind) for kind in kinds}
    requests = {kind: counted_per_update(table_column(run)) for kind, run in runs.items()}
    cost = {kind: api_cost(r, kind) for kind in kinds}
    latency_ms = {kind: statistics.median(run.request_seconds) * 1000 for kind, run in runs.items()}
    names = {"rest": "REST API (payload 1.0)", "http": "HTTP API (payload 2.0)"}
    ratio = cost["http"] / cost["rest"]
    return [
        "",
        "## 11. The API path on each kind of API",
        "",
        *_paragraph(
            f"{r.sizes.api_updates:,} signed `PUT /stocks/{{id}}` through a local stack of each kind (`apiKind`), one",
            "after the other in this run, each answered 200 (checked). AWS requests are counted as in section 3,",
            "where each kind has its column; the cost adds each kind's API request price to its counts (section 4,",
            "a row each). The latency is the median round trip of a request to the local stack: the emulator's,",
            "not API Gateway's, and shown only side by side.",
        ),
        "| API kind | AWS requests per update | API request, USD per million | USD per million updates | median ms |",
        "| --- | ---: | ---: | ---: | ---: |",
        *[
            f"| {names[kind]} | {requests[kind]:.3f} | {prices.API_PRICES[kind].usd_per_million:.2f} | "
            f"**{cost[kind]:.3f}** | {latency_ms[kind]:.1f} |"
            for kind in kinds
        ],
        "",
        *_paragraph(
            f"The HTTP API costs {ratio:.2f}x the REST API per update on the API path",
            f"({_verdict_cell(HTTP_API_COST, ratio)}). That verdict is decided by list prices applied to the",
            "requests each run counted, not by the run's timing: the local stack's speed has no part in it.",
            f"Locally the HTTP API's median request took {latency_ms['http'] / latency_ms['rest']:.2f}x as long.",
        ),
    ]


def _crossing_made_by(row: str) -> str:
    return {
        PUBLISH: "the stream function: the alert, to the topic",
        CLAIM: "the stream function: its claim of the alert",
        SENT_MARK: "the stream function: the alert marked sent",
        LIST_MARK: "the stream function: the item listed as low; before: none",
    }[row]


def _crossings(r: Results) -> list[str]:
    run = r.ours
    now, before = per_crossing(run), per_crossing_before(run)
    requests = {"before": sum(before.values()), "now": sum(now.values())}
    usd = {
        "before": prices.usd_per_million_crossings(before, prices.INDEX_WRITES_BEFORE),
        "now": prices.usd_per_million_crossings(now),
    }
    added = usd["now"] - usd["before"]
    ours = counted_per_update(table_column(run))
    return [
        "## 12. What a crossing costs, before and after the list of low items",
        "",
        *_paragraph(
            f"From the queue path's run of section 3 (ours, {run.updates:,} lines): {run.alerts_due:,} updates",
            "crossed their item's reorder point, by the domain's rule over the file's lines. Each row is counted",
            "by the embedded AWS over the whole run, per crossing: the `Publish` and the claim (`PutItem`) as",
            "counted; the sent mark, one `UpdateItem` per `Publish`; the list mark, every `UpdateItem` beyond one",
            f"per update and one per `Publish` ({run.listed:,} items were listed; the {run.unaccounted_updates:,}",
            "`UpdateItem`s beyond are charged here too). Before: what the code before this change made per",
            "crossing, which kept no list of low items: the same alert, its rows as this run counts them, and no",
            "list mark. A write also costs a write unit in each index whose entry it writes: the claim's entry in the",
            "sent-alerts table's `by-item` index and the list mark's in `low-items`, neither of which existed before;",
            "the USD columns count them (an item that stops being low costs one more such write, its entry removed).",
        ),
        "| request | made by | USD per million, before | USD per million, now | before, per crossing "
        "| now, per crossing |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
        *[
            f"| {row} | {_crossing_made_by(row)} | "
            f"{prices.crossing_row_usd_per_million(row, prices.INDEX_WRITES_BEFORE):.3f} | "
            f"{prices.crossing_row_usd_per_million(row):.3f} | {before[row]:.3f} | {now[row]:.3f} |"
            for row in CROSSING_ROWS
        ],
        f"| **{REQUESTS_PER_CROSSING_ROW}** | | | | **{requests['before']:.3f}** | **{requests['now']:.3f}** |",
        f"| **{COST_PER_CROSSING_ROW}** | | | | **{usd['before']:.3f}** | **{usd['now']:.3f}** |",
        "",
        *_paragraph(
            f"A crossing now makes {requests['now'] - requests['before']:.3f} more requests and costs",
            f"**{added:.3f} USD per million crossings** more ({added / usd['before']:+.0%}). The updates that cross",
            f"nothing, on the same run: **{ours:.3f}** requests per update on the queue path",
            f"({REQUESTS_PER_UPDATE.verdict(ours)}, section 3).",
        ),
    ]


def _list_row(row: str, run: ListRun) -> str:
    per_page, units = run.per_page(), run.read_units_per_page()
    usd = run.usd_per_million_pages()[row]
    if row in units:
        bound = run.limit * run.largest_entry_bytes
        reads = (
            f"{run.read_units_per_query:g} per Query: eventually consistent, at most {run.limit} index entries of at"
            f" most {run.largest_entry_bytes} bytes, {bound:,} bytes"
            if row == low_items_list.QUERY
            else f"one per item read: strongly consistent, each at most {run.largest_item_bytes} bytes"
        )
        billed = f"{units[row]:.3f} read request units ({reads})"
        return f"| {row} | {per_page[row]:.3f} | {billed} | {usd:.3f} |"
    if row == low_items_list.API_REQUEST:
        return f"| {row} | 1.000 | {prices.API_PRICES[low_items_list.API_KIND].item} | {usd:.3f} |"
    price = prices.LAMBDA_REQUEST if row == INVOCATIONS else prices.KMS_REQUEST
    return f"| {row} | {per_page[row]:.3f} | {price.item} | {usd:.3f} |"


def _low_list(r: Results) -> list[str]:
    run = r.low_list
    usd = run.usd_per_million_pages()
    return [
        "## 13. The list of low items: what a page costs",
        "",
        *_paragraph(
            f"On a local stack serving an HTTP API (`apiKind: {low_items_list.API_KIND}`, as dev), the benchmark",
            f"writes {run.items:,} new items at level 0 straight to the table, waits until the stream's function",
            "has listed every one (polled), and until only the pollers talk; then it pages through the list",
            f"{_times(run.walks)} with signed `GET /stocks?low=true&limit={run.limit}`, each cursor sent",
            f"back as given: {run.pages_per_walk:.0f} pages a walk, {_count(run.pages, 'page')} in all. Checked:",
            "every answer a 200, every item seen once on each walk and low, no page over its limit, one invocation",
            "of the API's function per page, a `GenerateMac` per cursor given and a `VerifyMac` per cursor sent",
            "back, no other request, nothing logged at WARNING or above. Requests per page as the embedded AWS",
            "counted them during the walks (the pollers' left out), averaged over the pages: the last page of a",
            "walk reads what is left and gives no cursor, the first sends none. Read request units: a Query of the",
            "index (keys only) is eventually consistent, half a unit per 4 KB it returns; the items are read",
            "strongly consistent, a unit per item under 4 KB (`benchmarks/prices.py`).",
        ),
        "| request | per page | billed as | USD per million pages |",
        "| --- | ---: | --- | ---: |",
        *[_list_row(row, run) for row in usd],
        f"| **{PAGE_TOTAL_ROW}** | | | **{sum(usd.values()):.3f}** |",
        "",
        *_paragraph(
            f"A page of up to {run.limit} low items costs **{sum(usd.values()):.3f} USD per million pages** at list",
            f"prices, {usd[low_items_list.API_REQUEST] / sum(usd.values()):.0%} of it the API request. The median",
            f"page took **{run.median_page_ms:.1f} ms** to come back from the local stack (the emulator's time,",
            "not AWS's).",
        ),
    ]


def _import_rate(r: Results) -> list[str]:
    rates, runs = r.import_rates, r.sizes.rate_runs
    profiles = {profile.path: profile for profile in r.import_profiles}
    rows = [
        f"| {via} | {rates.median(via, TODAY):,.0f} | {rates.median(via, SPED_UP):,.0f} | "
        f"**{rates.ratio(via):.2f}x** | {_verdict_cell(IMPORT_SPEEDUP, rates.ratio(via))} | "
        f"{_verdict_cell(IMPORT_RATE_AIM, rates.median(via, SPED_UP))} |"
        for via in VIAS
    ]
    return [
        "## 14. The local import rate: today's path and the speed-ups",
        "",
        *_paragraph(
            f"A file of {rates.lines:,} lines imported by a fresh local stack through the queue (`make send`'s",
            "loader) and through the drop bucket (dropped with `make send --via bucket`, which waits for the bucket",
            "function's report), each on today's path (`python -m local_stack --no-speedups`: moto's server as it",
            "is) and with the embedded AWS's speed-ups (the default: "
            + ", ".join(f"`{name}`" for name in PATHS[SPED_UP].names())
            + f"; `local_stack/aws/speedups.py`), the four interleaved, {_times(runs)} each; the median run",
            "counts. Timed from the first line sent to the last stored, and checked as the imports above: every",
            "line stored as the domain's rules store it, every alert due published once, nothing logged.",
        ),
        "| way in | today's path (lines/s) | with the speed-ups (lines/s) | ratio | 3x bar | 1,000 lines/s aim |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        *rows,
        "",
        *_lock_lines(rates),
        *_profile_lines(profiles),
    ]


def _lock_lines(rates: ImportRates) -> list[str]:
    rows = []
    for via in VIAS:
        for path in PATHS:
            waits, seconds = rates.median_run_waits(via, path)
            mean = f"{waits.seconds / waits.waited * 1000:.2f} ms" if waits.waited else "none waited"
            share = waits.waited / max(waits.requests, 1)
            rows.append(
                f"| {via} | {path} | {waits.requests:,} | {waits.waited:,} ({share:.0%}) | "
                f"{waits.seconds:.1f} s | {mean} | {seconds:.1f} s |"
            )
    return [
        *_paragraph(
            "DynamoDB's one lock (`local_stack/aws/atomic_dynamodb.py`), timed: in the median run of each, the",
            "DynamoDB and DynamoDB Streams requests that went through it from the first line sent until the run's",
            "checks ended (the benchmark's own scans among them), how many found it taken, and how long they waited",
            "for it in all (a thread waiting on it holds no Python lock, so the profile below cannot show this).",
        ),
        "| way in | path | DynamoDB requests | waited | seconds waited in all | mean wait | import's seconds |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
    ]


def _profile_lines(profiles: Mapping[str, Profile]) -> list[str]:
    today, sped_up = profiles[TODAY], profiles[SPED_UP]
    missing = [p for p in (today, sped_up) if p.unavailable]
    if missing:
        return _paragraph(*(f"No profile of {p.path}: {p.unavailable}." for p in missing))
    areas = list(today.areas)
    tops = max(len(today.top), len(sped_up.top))
    return [
        *_paragraph(
            "Where the process that holds the embedded AWS spent its time during one more import through the queue",
            f"on each path: py-spy {SAMPLES_PER_SECOND} times a second, counting only the samples of the thread",
            f"holding Python's lock (`--gil`), {today.samples:,} on today's path and {sped_up.samples:,} with the",
            "speed-ups, each sample put in the area of its innermost frame in a known part",
            "(`benchmarks/import_rate.py`); start-up and the benchmark's own checks are in the process too.",
        ),
        "| area | today's path | with the speed-ups |",
        "| --- | ---: | ---: |",
        *[f"| {area} | {today.areas[area]:.1%} | {sped_up.areas[area]:.1%} |" for area in areas],
        "",
        *_paragraph(
            f"The {LOCK_WAIT.split(' (')[0]} row counts the samples at the lines that take DynamoDB's one lock,",
            f"{today.areas[LOCK_WAIT]:.1%} of today's path and {sped_up.areas[LOCK_WAIT]:.1%} with the speed-ups:",
            "the taking, not the waiting, which is timed above. The functions by their own time (the frame",
            "sampled, without what it called):",
        ),
        "| # | today's path | share | with the speed-ups | share |",
        "| ---: | --- | ---: | --- | ---: |",
        *[
            f"| {n + 1} | {_frame_cell(today.top, n)} | {_share_cell(today.top, n)} | "
            f"{_frame_cell(sped_up.top, n)} | {_share_cell(sped_up.top, n)} |"
            for n in range(tops)
        ],
        "",
    ]


def _frame_cell(top: list[tuple[str, float]], n: int) -> str:
    return f"`{top[n][0]}`" if n < len(top) else ""


def _share_cell(top: list[tuple[str, float]], n: int) -> str:
    return f"{top[n][1]:.1%}" if n < len(top) else ""
