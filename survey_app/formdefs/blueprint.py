"""Every URL rule of formdefs."""
from flask import Blueprint

bp = Blueprint("formdefs", __name__, template_folder="templates")
