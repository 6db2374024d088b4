"""Pull: fetch HTTP sources (Kolada, an LMS, an HR system) and land them in the inbox."""
