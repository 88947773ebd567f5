"""Contract fakes of systems that cannot run here (Odoo, ERPNext, SAP S/4HANA), written from the vendors'
published API documents. They are fakes: in-memory state, a subset of each API, named as such."""
