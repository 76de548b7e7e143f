"""Every URL rule of planning."""
from flask import Blueprint

bp = Blueprint("planning", __name__, template_folder="templates")
