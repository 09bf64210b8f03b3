"""PDF reports (DESIGN.md §8), built with ReportLab over the `forms` core and nothing else.

fonts       the embedded DejaVu faces, registered once
styles      paragraph and table styles, table helpers
document    the A4 page shape: running header, "page N of M" footer, metadata, determinism
scope       the period and filters a report covers, and the SHA-256 of its event-log slice
metrics     figures over cards (pure functions shared with the dashboard)
card_section one card as an audit record
charts      bars, trend lines, SLA gauges and the risk heat map (reportlab.graphics)
audit       the audit report: `write_audit`
planning    the planning-meeting report: `collect`, `tables`, `write_planning`
export      the planning tables as CSV or XLSX

Values are written for people by `forms.display.Display` (language, the site's clock, labels).
What each report shows and how every figure is defined: docs/reports.md.
"""
