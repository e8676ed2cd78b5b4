"""The weekly summary as members read it: text (Babel, both languages), CSV, .xlsx and a
PNG chart. Nothing here imports Telegram; handlers and the CLI hand the results on."""
