-- Forensics (issue #7): an address's timeline and pivot over months of events
-- in well under a second. 001 sorts events by host and time (host
-- timelines), its `by_user` projection by account; this adds the same for
-- source addresses. A projection is a second copy of the rows sorted by its
-- own key, kept in every part: a lookup by address reads only the granules
-- of that address in each daily partition instead of testing every
-- granule's bloom filter. Destinations stay on 001's bloom filter (few
-- distinct values, and the egress detections read them by host anyway).
ALTER TABLE events ADD PROJECTION IF NOT EXISTS by_src_ip (SELECT * ORDER BY src_ip, ts, id);

-- Builds the projection for parts written before this migration (a background
-- mutation; a no-op on a new store).
ALTER TABLE events MATERIALIZE PROJECTION by_src_ip;
