"""Where counter samples come from: a PromQL backend or scraped targets."""
