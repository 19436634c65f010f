mod dcc_vectors;
mod mutations;
mod round_trip;
mod venue_codes;
