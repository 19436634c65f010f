mod dcc_vectors;
mod round_trip;
