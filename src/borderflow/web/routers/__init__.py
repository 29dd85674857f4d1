"""The app's pages, one router per part: scenarios (and running them), runs, comparisons,
attribution, uploads, assets."""
