"""Refinement: messy spreadsheets in, one clean deduplicated validated workbook out (design §6)."""
