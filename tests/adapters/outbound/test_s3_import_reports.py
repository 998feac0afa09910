import json
from dataclasses import asdict

from adapters.outbound.s3_import_reports import MAX_LISTED_REJECTIONS, ImportReport, S3ImportReports, report_key_of


def test_a_report_lies_outside_the_prefix_whose_files_trigger_the_function():
    assert report_key_of("incoming/a/stock.txt", "incoming/", "reports/") == "reports/a/stock.txt.report.json"


def test_a_written_report_names_the_event_it_describes(account):
    reports = S3ImportReports(account.s3, account.bucket)
    assert reports.reported_event("reports/a.txt.report.json") is None
    report = ImportReport("s3://stock-drops/incoming/a.txt", "abc", "0055AED6DCD90281E5", lines_sent=3)
    report.reject(2, "A2;x", "line 2: bad")
    reports.write("reports/a.txt.report.json", report)
    assert reports.reported_event("reports/a.txt.report.json") == "0055AED6DCD90281E5"
    stored = json.loads(account.s3.get_object(Bucket=account.bucket, Key="reports/a.txt.report.json")["Body"].read())
    assert stored["rejected"] == [{"line": 2, "text": "A2;x", "reason": "line 2: bad"}]
    assert (stored["lines_sent"], stored["lines_rejected"], stored["status"]) == (3, 1, "sent")


def test_rejections_past_the_listed_ones_are_counted():
    report = ImportReport("s3://b/k", "e", "1")
    for number in range(MAX_LISTED_REJECTIONS + 5):
        report.reject(number, "x", "bad")
    assert (report.lines_rejected, len(report.rejected)) == (MAX_LISTED_REJECTIONS + 5, MAX_LISTED_REJECTIONS)


def test_a_report_is_indented_json_served_as_json(account):
    report = ImportReport("s3://stock-drops/incoming/a.txt", "abc", "0055AED6DCD90281E5", lines_sent=3)
    S3ImportReports(account.s3, account.bucket).write("reports/a.txt.report.json", report)
    stored = account.s3.get_object(Bucket=account.bucket, Key="reports/a.txt.report.json")
    assert stored["ContentType"] == "application/json"
    assert stored["Body"].read().decode() == json.dumps(asdict(report), indent=2)  # for a person to read


def test_a_report_that_names_no_event_counts_as_no_report(account):
    account.s3.put_object(Bucket=account.bucket, Key="reports/a.txt.report.json", Body=b"{}")
    assert S3ImportReports(account.s3, account.bucket).reported_event("reports/a.txt.report.json") is None
