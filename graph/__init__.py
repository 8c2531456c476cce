"""A thin Microsoft Graph client on aiohttp with msal tokens; imports nothing else of ours."""
