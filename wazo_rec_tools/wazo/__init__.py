"""The one way this project talks to Wazo: an HTTP layer and one small client per service."""
