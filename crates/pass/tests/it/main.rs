mod dcc_vectors;
mod round_trip;
mod venue_codes;
