"""Write services for sealed bids: upload (streamed, then one short transaction), receipts,
withdrawal and the closing statement."""
