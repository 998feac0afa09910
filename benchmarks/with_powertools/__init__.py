"""Two of our functions as most Python teams would write them with Powertools for AWS Lambda, for `make bench` to
measure their cold starts beside ours. Not deployed; each module is importable from the unpacked code archive."""
