import json

from adapters.inbound.stock_file import RejectedLine
from tools import send_stock_file
from tools.send_stock_file import check_lines


def test_bad_lines_are_reported_by_number_and_not_sent():
    checked = check_lines([b"\xef\xbb\xbfA1;1\n", b"A2;x\n", b"\n", b"A3;3;2024-01-01T00:00:00Z\r\n", b"A4\n"])
    assert checked.lines == ["A1;1", "A3;3;2024-01-01T00:00:00Z"]
    assert [(bad.number, bad.text) for bad in checked.rejected] == [(2, "A2;x"), (5, "A4")]
    assert isinstance(checked.rejected[0], RejectedLine)


def test_of_several_untimed_lines_for_one_item_only_the_last_is_sent():
    checked = check_lines([b"A1;5\nB1;1\nA1;3\n", b"A1;4;2024-01-01T00:00:00Z"])
    assert checked.lines == ["B1;1", "A1;3", "A1;4;2024-01-01T00:00:00Z"]
    assert checked.superseded == 1


def test_of_untimed_lines_for_one_item_the_last_is_sent_for_each_field_it_sets():
    checked = check_lines([b"A1;reorder_point=5\nA1;3\nA1;low_stock_alerts=false\nA1;reorder_point=default\n"])
    assert checked.lines == ["A1;3", "A1;low_stock_alerts=false", "A1;reorder_point=default"]
    assert (checked.superseded, checked.narrowed) == (1, 0)


def test_a_line_partly_set_again_later_is_sent_with_the_fields_no_later_line_sets():
    checked = check_lines([b"A1;stock_level=3;reorder_point=5\nA1;stock_level=4\n"])
    assert checked.lines == ["A1;reorder_point=5", "A1;stock_level=4"]
    assert (checked.superseded, checked.narrowed) == (0, 1)


def test_named_lines_are_checked_before_anything_is_sent():
    checked = check_lines([b"A1;reorder_point=5\nA2;reorder=5\nA3;stock_level=1;stock_level=2\n"])
    assert checked.lines == ["A1;reorder_point=5"]
    assert [(bad.number, bad.reason) for bad in checked.rejected] == [
        (2, "line 2: unknown name 'reorder': the names are stock_level, reorder_point, low_stock_alerts, as_of"),
        (3, "line 3: stock_level is given more than once"),
    ]


def test_via_bucket_uploads_the_file_and_shows_the_report_written_for_its_content(mocker, tmp_path, capsys):
    stock_file = tmp_path / "monday.txt"
    stock_file.write_text("A1;1\nA2;x\n")
    outputs = {"drop_bucket_name": "drops", "drop_prefix": "incoming/", "report_prefix": "reports/"}
    mocker.patch.object(send_stock_file, "stack_outputs", return_value=outputs)
    s3 = mocker.Mock()
    mocker.patch.object(send_stock_file, "stack_client", return_value=s3)
    s3.head_object.return_value = {"ETag": '"abc"'}
    s3.exceptions.NoSuchKey = KeyError
    earlier = {"etag": "abc", "event": "01", "status": "sent", "lines_sent": 9, "lines_rejected": 0}
    current = {
        "etag": "abc",
        "event": "02",
        "status": "sent",
        "lines_sent": 1,
        "lines_rejected": 1,
        "rejected": [{"line": 2, "text": "A2;x", "reason": "line 2: bad level"}],
    }
    s3.get_object.side_effect = [
        {"Body": mocker.Mock(read=lambda d=d: json.dumps(d))} for d in (earlier, earlier, current)
    ]
    mocker.patch("tools.send_stock_file.time.sleep")

    assert send_stock_file.main([str(stock_file), "--via", "bucket"]) == 1

    s3.upload_file.assert_called_once_with(str(stock_file), "drops", "incoming/monday.txt")
    assert s3.get_object.call_args.kwargs == {"Bucket": "drops", "Key": "reports/monday.txt.report.json"}
    captured = capsys.readouterr()
    assert "sent: 1 lines sent to the import queue, 1 rejected" in captured.out
    assert "monday.txt:2: line 2: bad level: 'A2;x'" in captured.err
