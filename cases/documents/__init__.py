"""Official documents, A4 and print-ready: blank forms, case documents, the village notice board and the
decision letters with their document numbers. Each renders as HTML (printable) and as PDF (WeasyPrint).

    numbers.py  the per-county yearly document numbers (文号) of decision letters
    context.py  what each document shows, read in scope
    render.py   HTML page or PDF download of a document template
    views.py    the pages
"""
