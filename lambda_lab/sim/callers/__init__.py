"""callers"""
