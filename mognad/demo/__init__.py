"""Demo data: deterministic files for every municipality, written into the inboxes."""
