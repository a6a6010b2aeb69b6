"""Terms and renewals: the renewal views and the daily window digest."""
