from flask import render_template

from app.agent import bp


@bp.get("/")
def desktop():
    return render_template("agent/desktop.html")
