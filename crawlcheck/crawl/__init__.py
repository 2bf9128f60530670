"""The only package (with spiders/) that imports Scrapy: fetching, the runner, the add-on."""
