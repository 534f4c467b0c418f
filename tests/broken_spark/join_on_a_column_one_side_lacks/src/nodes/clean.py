def clean(sales, customers):
    return sales.join(customers, on="segment")
