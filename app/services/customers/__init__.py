"""What we know of customers: their records and numbers (records), preferences, complaints, their
history (timeline), and the CSV format and import (csv_format, importing)."""
